"""Handover: automation hand-over portals (site + PDF) for n8n, Make and Zapier clients."""

__version__ = "0.1.0"
