"""Writers: the offline prose and the optional LLM writer with its validation."""
