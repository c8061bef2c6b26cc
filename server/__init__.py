"""The bundled provisioning/PBX server."""
