"""OAI-PMH 2.0 provider of fedcat's registered publications (see docs/publishing.md)."""
