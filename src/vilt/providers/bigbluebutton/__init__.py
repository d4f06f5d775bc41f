"""BigBlueButton: checksum-signed XML API, local join URLs, attendance by analytics callback."""
