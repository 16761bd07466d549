"""School records beyond marks: 控辍保学 (retention), homework load, 家访 and 集体备课."""
