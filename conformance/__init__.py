"""Published conformance: the CapabilityStatement and definitions, built from the registries."""
