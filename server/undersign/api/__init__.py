"""The HTTP API: public routes for signers and partner sites; the organiser API."""
