"""Publishing a report to GitHub: the only package that reads the token or imports PyGithub."""
