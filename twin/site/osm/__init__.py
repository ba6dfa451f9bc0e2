"""Any site from OpenStreetMap: an extract and a boundary turned into a site map and a scenario.

`twin.site.osm.importer.import_site` reads an extract (``.osm.pbf`` or ``.osm`` XML with pyosmium,
or GeoJSON), projects it to a metric grid (`projection`), and builds the site map's layers: the
walk network (`walk_network`), buildings, open spaces and water (`ground`), gateways and
destinations with weights (`entrances`), cameras where OpenStreetMap maps surveillance
(`surveillance`); an overlay (`overlay`) adds what OpenStreetMap cannot know, and `skeleton` writes
a scenario next to the map. docs/site_import.md tells a planner the whole path.
"""
