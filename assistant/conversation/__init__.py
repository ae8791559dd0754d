"""The conversation: the stages in threads joined by queues, turn-taking, barge-in, memory and the brain."""
