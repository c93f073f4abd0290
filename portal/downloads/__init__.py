"""Downloads of catalogued files: single files with byte ranges, and streamed zips.

Files are found at the dataset's folder + the file's path and are served only from inside the
directories of the ``DOWNLOAD_ROOTS`` setting (storage.py). Who may download is
``catalogue.access.can(user, Action.DOWNLOAD, dataset)``; the licence is accepted once per user
(or browser session) first, and each download is logged (records.py).
"""
