"""Import/export of training plans, sessions, attendance and results, and appraisals.

All files are all-or-nothing: one bad row and nothing is written; the preview names the
row, the column and the reason. States are never imported (``BackofficeResource``):
imported appraisals always start as drafts and move on through their workflow.
"""
