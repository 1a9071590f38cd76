using Churn.Host.Cli;

StandardOutput.Reserve();
return await ChurnCommandLine.RunAsync(args);
