"""Party knowledge several processes share: branch-meeting votes, the demo organisation."""
