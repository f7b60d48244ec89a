"""Scenarios: the schema, loading, parameter paths and the catalog of shipped files."""

from simlab.scenario.catalog import catalog_dir, catalog_names, list_scenarios, scenario_path

__all__ = ["catalog_dir", "catalog_names", "list_scenarios", "scenario_path"]
