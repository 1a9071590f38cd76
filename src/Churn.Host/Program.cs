Console.WriteLine("churn");
