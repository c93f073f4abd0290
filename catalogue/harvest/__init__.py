"""Metadata harvesting: pure extractors (NeXus, FITS, openPMD) turning files into DatasetDrafts."""
