"""The FHIR core: model facade, errors, ports and the shapes every layer above shares."""
