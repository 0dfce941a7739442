"""民主评议党员 (democratic appraisal of members): the annual appraisal, its ballot and grades."""
