"""The Qt desktop app: windows, tabs and widgets over the Qt-free core."""
