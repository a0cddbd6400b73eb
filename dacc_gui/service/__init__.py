"""Running Ecolyo's aggregation service (or a stand-in) from the app: the Qt-free parts."""
