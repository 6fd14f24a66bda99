"""portal_core: the provider portal's domain: models, rules, services, storage and clients.

Never imports Textual, Rich or portal_tui (an import-linter contract and a test hold this).
"""

__version__ = "0.1.0"
