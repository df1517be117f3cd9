"""Jinja2 templates of the public pages, with the filters they use."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from app.web.display import STATUS_LABELS, display
from app.web.formatting import exponent, money, time_left

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["money"] = money
templates.env.globals["exponent"] = exponent
templates.env.globals["time_left"] = time_left
templates.env.globals["display"] = display
templates.env.globals["status_label"] = STATUS_LABELS.get
