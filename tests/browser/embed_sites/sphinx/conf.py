# A small course site that frames the K-Means Stepper as docs/embedding.md says.
project = "A course with the K-Means Stepper"
extensions = ["myst_parser"]
html_theme = "alabaster"
