"""``python -m fhir_server`` runs the ``nutrivision`` command."""

from fhir_server.cli import main

main()
