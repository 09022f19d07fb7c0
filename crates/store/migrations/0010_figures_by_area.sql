-- A city's or region's figures are read by area (`incity profile`, `incity trend`, `incity
-- peers`, `incity export --geo`): without this index each such read scans the release.
CREATE INDEX figures_by_area ON figures (release_id, geo);
