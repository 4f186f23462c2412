"""FHIR search, its pure lower half: the SearchParameter registry and index-value extraction.

``registry`` holds every R4 SearchParameter (plus NutritionIntake's and custom ones) and the
compartment definitions; ``extract`` turns a resource into typed index values with each
parameter's FHIRPath expression; ``index_rows`` is the one step from those values to the rows
the storage adapter writes; ``parse`` turns request parameters into the ``query`` expression
tree that the storage adapter compiles. Nothing here knows about SQL or HTTP.
"""
