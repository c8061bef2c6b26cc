"""View-models: QObjects that turn engine events and server answers into state for the views."""
