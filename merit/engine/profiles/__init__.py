"""Shipped column-mapping profiles (one YAML file per platform export); see docs/imports.md."""
