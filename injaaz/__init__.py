"""Injaaz: site-visit reports for field inspectors, on Django."""
