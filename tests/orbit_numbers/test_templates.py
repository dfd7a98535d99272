"""The project's templates live in the top-level templates/ folder, and every one of them compiles."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template.loader import get_template

ROOT = Path(settings.BASE_DIR)
PROJECT_APPS = ("orbit_numbers", "billing", "inventory", "porting")


def test_apps_ship_no_templates_of_their_own():
    assert [app for app in PROJECT_APPS if (ROOT / app / "templates").exists()] == []


def test_every_project_template_loads_from_the_top_level_folder():
    folder = ROOT / "templates"
    names = [str(path.relative_to(folder)) for path in folder.rglob("*.html")]
    assert "admin/orbit_index.html" in names
    for name in names:
        template = get_template(name)
        assert Path(template.origin.name).is_relative_to(folder), name
