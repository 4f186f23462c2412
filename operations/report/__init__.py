"""The clinical nutrition report: its content from stored resources, and its renderings
(FHIR document, PDF, HL7 v2)."""
