"""Speech engines: voice activity, wake word, speech-to-text and text-to-speech, each behind a Protocol."""
