"""The JSON API: public routes, organiser routes, and the OpenAPI document."""
