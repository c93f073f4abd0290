"""OrigDatablocks, Datablocks: the SciCat v3 API, nested under a dataset and top level."""
