"""The pure domain core: schemas, issue catalogue, checks, validator, reports. No I/O."""
