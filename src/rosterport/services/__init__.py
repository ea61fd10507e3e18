"""Use cases. Services take their collaborators as parameters and raise domain errors."""
