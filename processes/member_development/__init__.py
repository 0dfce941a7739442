"""发展党员 (member development): the 25 steps from application to full membership."""
