"""SMART on FHIR: scopes, access policy and token rules."""
