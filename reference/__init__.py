"""Reference data shipped with hrcase: the gazetteer of the host country and the controlled vocabularies."""
