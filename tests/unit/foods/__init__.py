"""Food composition: build, lookup, portions, nutrients and reference intakes."""
