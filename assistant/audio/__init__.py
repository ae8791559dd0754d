"""Audio: sound-card I/O, rings, the simulated room, resampling and the Speex front-end."""
