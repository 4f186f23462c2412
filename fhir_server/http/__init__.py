"""The HTTP adapter: FastAPI routes for the FHIR REST API and service endpoints."""
