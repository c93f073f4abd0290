"""README.md must document every environment variable the settings read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READ_PATTERN = re.compile(r"""(?:os\.environ\.get|env_\w+)\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def test_every_setting_variable_is_in_the_readme():
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    readme = (ROOT / "README.md").read_text()
    variables = set(READ_PATTERN.findall(settings_source))
    assert len(variables) > 20
    missing = sorted(name for name in variables if f"`{name}`" not in readme)
    assert missing == []
