"""The PaNOSC Common Search API (provider side), mounted at /panosc-api/: see docs/panosc-api.md."""
