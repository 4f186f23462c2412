"""Throughput benchmark of the FHIR server against bare ceilings on the same machine.

``python -m bench.run`` runs the whole matrix; see ``bench/README.md``.
"""
