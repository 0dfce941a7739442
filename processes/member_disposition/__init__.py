"""不合格党员组织处置 (disposition of members graded 不合格)."""
