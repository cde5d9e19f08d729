"""Source kinds: each finds its sources, reads them into the observation frame and describes their provenance.

`pipelines.kinds.base` says what a kind supplies, `pipelines.kinds.registry` lists the kinds, and
`pipelines.assets.sources` turns every source of every kind into its raw and staging assets.
"""
