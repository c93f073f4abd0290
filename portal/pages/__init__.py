"""Browser pages: search (search.py), datasets (datasets.py), proposals, samples and
instruments (entities.py), citations (citation.py), the search help (search_help.py)."""
