"""The PySide6 workstation (the only package importing Qt). Start it with `run_gui(paths)`."""
