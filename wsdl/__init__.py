"""Contracts as files: shop/ (the published facade WSDL) and agencies/<name>/.

A package only so that the files ship with a non-editable install;
read them with importlib.resources.files("wsdl").
"""
