"""Process definitions: deploying and checking process packages, and the cache of parsed specs."""
