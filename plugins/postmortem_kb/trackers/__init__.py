"""Work trackers (GitHub, GitLab, Jira): reading action items' tracker state, drift, write-back."""
