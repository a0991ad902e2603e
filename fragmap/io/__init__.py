"""All file reading and writing of fragmap: one submodule per topic (tables, store, geo, gazetteer, network, publish)."""
