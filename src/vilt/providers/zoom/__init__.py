"""Zoom: Server-to-Server OAuth, meetings and webinars with registrants, the participants report."""
